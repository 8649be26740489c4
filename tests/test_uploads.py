"""Uploaded files (issue 9): PDFs kept only when they parse and run nothing, images decoded within bounds."""

import io
import re
import struct
import zlib

import pytest
from PIL import Image, ImageFile
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from tests.test_tickets import send, tenant  # noqa: F401 - tenant is a fixture
from wir.models import Ticket, TicketAttachment
from wir.uploads import UploadRejected, check_file


def pdf(build=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if build:
        build(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def open_action_javascript(writer):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hallo')")}
    )


def page_action_launch(writer):
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})})


def embedded_file(writer):
    writer.add_attachment("rechnung.exe", b"MZ\x90\x00")


def link_and_jump(writer):
    """What ordinary PDFs have: a link to a web page and an open action that only shows page 1."""
    writer.add_uri(0, "https://www.wg-lipsia.de", [50, 50, 200, 80])
    first_page = writer.pages[0].indirect_reference
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([first_page, NameObject("/Fit")])


def png_of_size(width: int, height: int) -> bytes:
    """A valid one-colour PNG (1 bit per pixel): a few KB on disk, width × height pixels decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed bits
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg_of_size(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 20)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def refusal(name: str, content: bytes) -> str:
    with pytest.raises(UploadRejected) as refused:
        check_file(name, content)
    return str(refused.value)


# --- PDF ------------------------------------------------------------------------------------


def protected_against_changes(writer):
    writer.encrypt(user_password="", owner_password="nur-lesen", algorithm="RC4-128")


@pytest.mark.parametrize("build", [None, link_and_jump, protected_against_changes],
                         ids=["plain", "link-and-jump", "protected-against-changes"])
def test_a_pdf_that_parses_is_kept_as_sent(build):
    content = pdf(build)
    attachment = check_file("Rechnung Mai.pdf", content)
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "Rechnung Mai.pdf", "application/pdf", content)


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n" + b"0" * 2000,
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF",
    pdf()[:300],
], ids=["garbage", "no-pages", "truncated"])
def test_a_pdf_that_does_not_parse_is_refused(content):
    assert refusal("kaputt.pdf", content) == "„kaputt.pdf“ ist beschädigt und kann nicht gelesen werden."


@pytest.mark.parametrize("build", [open_action_javascript, page_action_launch, embedded_file],
                         ids=["open-action-javascript", "page-action-launch", "embedded-file"])
def test_a_pdf_with_active_content_is_refused(build):
    message = refusal("brief.pdf", pdf(build))
    assert message.startswith("„brief.pdf“ enthält Skripte, Aktionen oder eingebettete Dateien.")


def test_a_pdf_that_needs_a_password_is_refused():
    def protect(writer):
        writer.encrypt("geheim", algorithm="RC4-128")

    assert "mit einem Kennwort oder Schutz versehen" in refusal("konto.pdf", pdf(protect))


# --- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("width, height, limit", [
    (20_000, 20_000, 25),  # 400 megapixels in 50 KB: beyond Pillow's own bomb limit
    (6_000, 6_000, 25),  # 36 megapixels: a PNG is decoded whole
], ids=["bomb", "over-png-limit"])
def test_an_image_with_too_many_pixels_is_refused_before_decoding(width, height, limit):
    content = png_of_size(width, height)
    assert len(content) < 100_000
    assert refusal("scan.png", content) == (
        f"„scan.png“ hat zu viele Bildpunkte (höchstens {limit} Megapixel). "
        "Bitte verkleinern Sie das Bild und versuchen Sie es noch einmal.")


def test_a_large_photo_is_decoded_reduced_and_stored_at_most_2560_pixels_wide(monkeypatch):
    decoded = []
    load = ImageFile.ImageFile.load

    def recording_load(image):
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    attachment = check_file("Schimmel.jpg", jpeg_of_size(5200, 3900))
    assert Image.open(io.BytesIO(attachment.content)).size == (2560, 1920)
    assert decoded and max(w * h for w, h in decoded) <= 2600 * 1950  # decoded at half size, not 20 MP


def test_a_large_png_is_scaled_down_too():
    attachment = check_file("plan.png", png_of_size(4000, 1000))
    stored = Image.open(io.BytesIO(attachment.content))
    assert stored.format == "PNG" and stored.size == (2560, 640)


def test_a_small_photo_keeps_its_size():
    stored = Image.open(io.BytesIO(check_file("klein.jpg", jpeg_of_size(800, 600)).content))
    assert stored.size == (800, 600)


# --- through Kontakt ------------------------------------------------------------------------


@pytest.mark.parametrize("name, content, message", [
    ("riesig.png", png_of_size(20_000, 20_000), "hat zu viele Bildpunkte (höchstens 25 Megapixel)"),
    ("brief.pdf", pdf(open_action_javascript), "enthält Skripte, Aktionen oder eingebettete Dateien"),
])
def test_refusals_appear_next_to_the_upload_field(client, auth, tenant, name, content, message):
    response = send(client, auth, tenant, files=[(name, content)])
    assert response.status_code == 422
    error = re.search(r'id="attachments-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert error and f"„{name}“ {message}" in error.group(1)
    assert not Ticket.select().where(Ticket.subject == "Heizung bleibt kalt").exists()


def test_a_valid_pdf_is_stored_as_sent_and_only_offered_as_a_sandboxed_download(client, auth, tenant):
    content = pdf(link_and_jump)
    assert send(client, auth, tenant, files=[("Mängelliste.pdf", content)]).status_code == 303
    file = TicketAttachment.select().join(Ticket).where(Ticket.subject == "Heizung bleibt kalt").get()
    response = client.get(f"/meldungen/{file.ticket.number}/anhang/{file.id}")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
