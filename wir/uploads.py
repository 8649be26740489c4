"""Checking uploaded files: size, type by content (not by name), images re-encoded, PDFs parsed.

Re-encoding drops everything but the pixels, including the EXIF location of phone photos.
Decoding is bounded: JPEGs are decoded already reduced towards MAX_SIDE, and images that
cannot be (PNG) have a lower pixel limit, so one image takes at most about 100 MB while checked.
A PDF is kept as sent only when it parses and carries nothing a viewer would run or open.
"""

import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
MAX_SIDE = 2560  # stored images are scaled to at most this many pixels on the long side
# Refused above these before decoding; both stay below Pillow's own warning limit (89 MP).
# JPEGs are decoded at 1/2, 1/4 or 1/8 of their size (libjpeg's DCT scaling), PNGs whole.
MAX_PIXELS = {"image/jpeg": 80_000_000, "image/png": 25_000_000}
SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

# What a PDF viewer would run, submit, launch or unpack (ISO 32000-2 §12.6.4 actions, §7.11.4
# embedded files, XFA forms). Links (/URI) and jumps inside the document (/GoTo) are fine.
PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
                      "/RichMediaExecute", "/Rendition"}
PDF_ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
DAMAGED = "ist beschädigt und kann nicht gelesen werden."


class UploadRejected(Exception):
    pass


@dataclass(frozen=True)
class Attachment:
    """A checked file, ready to store."""

    filename: str
    content_type: str
    content: bytes


def _content_type(content: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES.items() if content.startswith(magic)), None)


def safe_filename(name: str, content_type: str) -> str:
    """A plain file name to show and to offer for download, with the extension the content has."""
    stem = unicodedata.normalize("NFKC", name).rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    stem = re.sub(r"[^\w\-. ]+", "_", stem).strip(" ._")[:80] or "Datei"
    return stem + EXTENSIONS[content_type]


def _too_many_pixels(label: str, content_type: str) -> UploadRejected:
    megapixels = MAX_PIXELS[content_type] // 1_000_000
    return UploadRejected(f"{label} hat zu viele Bildpunkte (höchstens {megapixels} Megapixel). "
                          "Bitte verkleinern Sie das Bild und versuchen Sie es noch einmal.")


def _reduced_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _reencode(label: str, content: bytes, content_type: str) -> bytes:
    try:
        with Image.open(io.BytesIO(content)) as image:  # reads the header only
            if image.width * image.height > MAX_PIXELS[content_type]:
                raise _too_many_pixels(label, content_type)
            image.draft(None, _reduced_size(image.width, image.height))  # JPEG: decode at 1/2, 1/4 or 1/8
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            output = io.BytesIO()
            if content_type == "image/jpeg":
                image.convert("RGB").save(output, "JPEG", quality=88)
            else:
                image.save(output, "PNG")
            return output.getvalue()
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours: refused at the header
        raise _too_many_pixels(label, content_type) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UploadRejected(f"{label} {DAMAGED}") from None


def _has_active_content(reader: PdfReader) -> bool:
    """Walks every object reachable from the trailer (the ones a viewer can reach), each once."""
    seen: set[tuple[int, int]] = set()
    pending: list = [reader.trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            if item.get("/S") in PDF_ACTIVE_ACTIONS or PDF_ACTIVE_KEYS.intersection(item.keys()):
                return True
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return False


def _pdf_problem(content: bytes) -> str | None:
    """Why the PDF cannot be kept, or None."""
    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # protected against changes only: opens without a password
        except DependencyError:  # AES needs a crypto package the portal does not install
            opened = False
        if not opened:
            return "ist mit einem Kennwort oder Schutz versehen. Bitte senden Sie die Datei ohne Schutz."
    if len(reader.pages) == 0:
        return DAMAGED
    if _has_active_content(reader):
        return ("enthält Skripte, Aktionen oder eingebettete Dateien. Bitte senden Sie eine einfache "
                "PDF-Datei (zum Beispiel über „Drucken“ als PDF gespeichert).")
    return None


def _check_pdf(label: str, content: bytes) -> None:
    try:
        problem = _pdf_problem(content)
    except Exception:  # noqa: BLE001 - whatever the parser trips over, the file does not parse
        problem = DAMAGED
    if problem:
        raise UploadRejected(f"{label} {problem}")


def check_file(filename: str, content: bytes) -> Attachment:
    """The file as it will be stored; raises UploadRejected with a German message."""
    label = f"„{filename}“"
    if len(content) > MAX_FILE_BYTES:
        raise UploadRejected(f"{label} ist größer als 10 MB.")
    if not content:
        raise UploadRejected(f"{label} ist leer.")
    content_type = _content_type(content)
    if content_type is None:
        raise UploadRejected(f"{label} ist kein Foto (JPEG, PNG) und kein PDF.")
    if content_type == "application/pdf":
        _check_pdf(label, content)
    else:
        content = _reencode(label, content, content_type)
    return Attachment(safe_filename(filename, content_type), content_type, content)


def check_files(files: list[tuple[str, bytes]]) -> list[Attachment]:
    if len(files) > MAX_FILES:
        raise UploadRejected(f"Bitte hängen Sie höchstens {MAX_FILES} Dateien an.")
    return [check_file(name, content) for name, content in files]
