"""Checking uploaded files: size, type by content (not by name), images re-encoded, PDFs parsed.

Re-encoding drops everything but the pixels, including the EXIF location of phone photos.
Decoding is bounded: JPEGs are decoded already reduced towards MAX_SIDE, and images that
cannot be (PNG) have a lower pixel limit, so one image takes at most about 100 MB while checked.
A PDF is kept as sent only when it parses and carries nothing a viewer would run or open.
"""

import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from pypdf import PdfReader

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
    from PIL import Image, ImageOps, UnidentifiedImageError  # Pillow, ~3 MB: loaded when needed

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


def _has_active_content(reader: "PdfReader") -> bool:
    """Walks every object reachable from the trailer (the ones a viewer can reach), each once."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject  # loaded when needed

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
    from pypdf import PdfReader  # pypdf, ~10 MB: loaded when needed
    from pypdf.errors import DependencyError

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
    import pypdf  # noqa: F401 - a broken install fails here, not as "damaged" below

    try:
        problem = _pdf_problem(content)
    except Exception:  # noqa: BLE001 - whatever the parser trips over, the file does not parse
        problem = DAMAGED
    if problem:
        raise UploadRejected(f"{label} {problem}")


def _check_size(label: str, content: bytes) -> None:
    if len(content) > MAX_FILE_BYTES:
        raise UploadRejected(f"{label} ist größer als 10 MB.")
    if not content:
        raise UploadRejected(f"{label} ist leer.")


def check_file(filename: str, content: bytes) -> Attachment:
    """The file as it will be stored; raises UploadRejected with a German message."""
    label = f"„{filename}“"
    _check_size(label, content)
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


def check_pdf(filename: str, content: bytes) -> Attachment:
    """A PDF and nothing else, by its content (a renamed photo or text file is refused): what staff put into a
    tenant's Dokumente. Raises UploadRejected."""
    label = f"„{filename}“"
    _check_size(label, content)
    if _content_type(content) != "application/pdf":
        raise UploadRejected(f"{label} ist keine PDF-Datei.")
    _check_pdf(label, content)
    return Attachment(safe_filename(filename, "application/pdf"), "application/pdf", content)


# --- many files at once (staff's Sammel-Upload): plain files and ZIP archives ---

ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with entries, an empty archive
IGNORED_FOLDERS = ("__MACOSX/",)  # what macOS adds to every archive it packs
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class BulkLimits:
    files: int  # files in all, each entry of a ZIP counted
    total_bytes: int  # all files together, unpacked


@dataclass(frozen=True)
class BulkFile:
    """A file of a bulk upload, not read yet: ``read()`` gives at most MAX_FILE_BYTES + 1 bytes of it."""

    name: str  # its own name, without the folders of a ZIP
    size: int  # as declared (a ZIP's directory) or measured (a plain file)
    read: Callable[[], bytes]


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB".replace(",", ".")


def _unsafe_path(name: str) -> bool:
    """A path that would leave the folder it is unpacked to, or one that means different things on different
    systems (backslashes, drive letters, NUL)."""
    return ("\\" in name or "\0" in name or name.startswith("/") or bool(_DRIVE.match(name))
            or ".." in name.split("/"))


def _zip_entries(label: str, stream: BinaryIO) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The files in the archive, from its directory alone (nothing unpacked): refused as a whole when a path
    tries to leave its folder or an entry is encrypted."""
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRejected(f"{label} ist keine gültige ZIP-Datei.") from None
    entries = []
    for info in archive.infolist():
        if any(_unsafe_path(name) for name in (info.orig_filename, info.filename)):
            raise UploadRejected(
                f"{label} enthält unzulässige Pfadangaben (zum Beispiel „{info.orig_filename[:80]}“). Bitte "
                "packen Sie nur die PDF-Dateien ein, ohne „..“, Laufwerke und absolute Pfade.")
        if info.is_dir() or info.filename.startswith(IGNORED_FOLDERS):
            continue
        if info.flag_bits & 0x1:
            raise UploadRejected(f"{label} ist verschlüsselt. Bitte packen Sie die Dateien ohne Kennwort ein.")
        entries.append(info)
    return archive, entries


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> Callable[[], bytes]:
    def read() -> bytes:
        # zipfile stops at the size the directory declares and refuses data that differs from it (CRC),
        # so an entry that lies about its size is never unpacked further than that
        try:
            with archive.open(info) as member:
                return member.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError):
            raise UploadRejected(f"„{info.filename.rsplit('/', 1)[-1]}“ in {label} {DAMAGED}") from None
    return read


def _plain_reader(stream: BinaryIO) -> Callable[[], bytes]:
    def read() -> bytes:
        stream.seek(0)
        return stream.read(MAX_FILE_BYTES + 1)
    return read


def bulk_files(uploaded: list[tuple[str, BinaryIO]], limits: BulkLimits) -> list[BulkFile]:
    """Every file of a bulk upload: the plain files and the entries of each ZIP (told by content, not name).

    Checked before anything is unpacked, from the archives' directories: paths, the number of files and the
    declared size of all of them together; a ZIP bomb is refused here. Each file is then read on its own
    (``BulkFile.read``), never further than its declared size. Raises UploadRejected for the whole upload.
    """
    found: list[BulkFile] = []
    for filename, stream in uploaded:
        label = f"„{filename}“"
        stream.seek(0)
        if stream.read(4) in ZIP_SIGNATURES:
            stream.seek(0)
            archive, entries = _zip_entries(label, stream)
            found.extend(BulkFile(info.filename.rsplit("/", 1)[-1], info.file_size, _zip_reader(archive, info, label))
                         for info in entries)
        else:
            size = stream.seek(0, io.SEEK_END)
            found.append(BulkFile(filename, size, _plain_reader(stream)))
        if len(found) > limits.files:
            raise UploadRejected(f"Das sind mehr als {limits.files:,} Dateien auf einmal. Bitte teilen Sie den "
                                 "Upload auf.".replace(",", "."))
    total = sum(file.size for file in found)
    if total > limits.total_bytes:
        raise UploadRejected(
            f"Die Dateien wären entpackt {megabytes(total)} groß, höchstens {megabytes(limits.total_bytes)} sind "
            "erlaubt. Eine ZIP-Datei, die sich so stark entpacken würde, nehmen wir nicht an (ZIP-Bombe). Bitte "
            "prüfen Sie die Datei oder teilen Sie den Upload auf.")
    return found
