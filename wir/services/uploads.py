"""Checking uploaded files: size, type by content (not by name), images re-encoded.

Re-encoding drops everything but the pixels, including the EXIF location of phone photos.
"""

import io
import re
import unicodedata
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


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


def _reencode(content: bytes, content_type: str) -> bytes:
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UploadRejected("Das Bild ist zu groß (zu viele Bildpunkte).")
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            output = io.BytesIO()
            if content_type == "image/jpeg":
                image.convert("RGB").save(output, "JPEG", quality=88)
            else:
                image.save(output, "PNG")
            return output.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise UploadRejected("Das Bild ist beschädigt und kann nicht gelesen werden.") from None


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
    if content_type != "application/pdf":
        content = _reencode(content, content_type)
    return Attachment(safe_filename(filename, content_type), content_type, content)


def check_files(files: list[tuple[str, bytes]]) -> list[Attachment]:
    if len(files) > MAX_FILES:
        raise UploadRejected(f"Bitte hängen Sie höchstens {MAX_FILES} Dateien an.")
    return [check_file(name, content) for name, content in files]
