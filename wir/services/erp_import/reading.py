"""Reading ERP export files as German Excel and housing ERPs write them: the encoding (UTF-8 with or without BOM,
else Windows-1252), the separator (semicolon or comma), German numbers and dates. Files are read twice as a stream
(first the encoding and SHA-256, then the rows), so memory does not grow with their size."""

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from wir import clock

CHUNK = 1 << 16
MAX_FIELD = 10_000  # characters in one cell; anything longer is no ERP field


class FileProblem(Exception):
    """The file as a whole cannot be read; the message is German."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class BadValue(ValueError):
    """One cell is wrong; the message is German and names the value's expected form."""


@dataclass(frozen=True)
class FileInfo:
    name: str
    size: int
    sha256: str
    encoding: str  # "utf-8-sig" or "cp1252"


def inspect(path: Path) -> FileInfo:
    """Size, SHA-256 and encoding in one pass: UTF-8 (a BOM is allowed) if every byte decodes so, else
    Windows-1252; neither raises FileProblem."""
    digest = hashlib.sha256()
    decoders = {"utf-8-sig": codecs.getincrementaldecoder("utf-8")(),
                "cp1252": codecs.getincrementaldecoder("cp1252")()}
    fits = dict.fromkeys(decoders, True)
    size = 0

    def feed(chunk: bytes, final: bool = False):
        for encoding, decoder in decoders.items():
            if fits[encoding]:
                try:
                    decoder.decode(chunk, final=final)
                except UnicodeDecodeError:
                    fits[encoding] = False

    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
            feed(chunk)
    feed(b"", final=True)
    is_utf8, is_cp1252 = fits["utf-8-sig"], fits["cp1252"]
    if not (is_utf8 or is_cp1252):
        raise FileProblem("Die Datei ist weder in UTF-8 noch in Windows-1252 gespeichert. Bitte exportieren Sie "
                          "sie erneut als „CSV UTF-8“ oder „CSV (Trennzeichen-getrennt)“.")
    return FileInfo(path.name, size, digest.hexdigest(), "utf-8-sig" if is_utf8 else "cp1252")


class Rows:
    """The data rows of one file as (line, {header: text}); the header line decides the separator.

    ``position`` is how far into the file (in bytes) reading has come, for progress.
    """

    def __init__(self, path: Path, encoding: str):
        self._raw = open(path, "rb")
        self._text = io.TextIOWrapper(self._raw, encoding=encoding, newline="")
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_header(self):
        first = self._text.readline()
        if first.startswith("\ufeff") or first.startswith("ï»¿"):  # a BOM, also when read as Windows-1252
            first = first[1:] if first.startswith("\ufeff") else first[3:]
        separator = ";" if first.count(";") >= first.count(",") else ","
        try:
            header = next(csv.reader([first], delimiter=separator), [])
        except csv.Error as error:
            raise FileProblem(f"Die Kopfzeile ist kein CSV: {error}.", 1) from None
        self.header = [" ".join(name.split()) for name in header]
        if not any(self.header):
            raise FileProblem("Die Datei hat keine Kopfzeile mit den Spaltennamen.", 1)
        self._reader = csv.reader(self._text, delimiter=separator)
        self._line = 1

    @property
    def position(self) -> int:
        return self._raw.tell()

    def __iter__(self):
        width = len(self.header)
        while True:
            start = self._line + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileProblem(f"Die Zeile ist kein gültiges CSV ({error}).", start) from None
            self._line = self._reader.line_num + 1  # the reader counts from the line after the header
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != width:
                yield start, None, f"Die Zeile hat {len(cells)} Felder, die Kopfzeile {width}."
                continue
            if any(len(cell) > MAX_FIELD for cell in cells):
                yield start, None, f"Ein Feld der Zeile ist länger als {MAX_FIELD} Zeichen."
                continue
            yield start, dict(zip(self.header, cells)), None

    def close(self):
        self._text.close()


# --- values ------------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_GERMAN_NUMBER = re.compile(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?")
_POINT_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def text(value: str, max_length: int = 255) -> str:
    value = " ".join(value.split())
    if _CONTROL.search(value):
        raise BadValue("Der Text enthält Steuerzeichen.")
    if len(value) > max_length:
        raise BadValue(f"Höchstens {max_length} Zeichen, hier sind es {len(value)}.")
    return value


def decimal(value: str, places: int = 2) -> Decimal:
    """German notation (1.234,56) or a plain point (1234.56); a lone point before three digits is ambiguous."""
    compact = value.replace("€", "").replace("%", "").replace(" ", "").replace("\u00a0", "")
    if "," in compact:
        if not _GERMAN_NUMBER.fullmatch(compact):
            raise BadValue(f"„{value}“ ist keine Zahl in deutscher Schreibweise wie 1.234,56.")
        compact = compact.replace(".", "").replace(",", ".")
    elif not _POINT_NUMBER.fullmatch(compact):
        raise BadValue(f"„{value}“ ist keine Zahl wie 1.234,56.")
    elif re.fullmatch(r"-?\d{1,3}\.\d{3}", compact):
        raise BadValue(f"„{value}“ ist mehrdeutig. Bitte mit Dezimalkomma schreiben: "
                       f"{compact.replace('.', '')},00 oder {compact.replace('.', ',')}.")
    try:
        number = Decimal(compact)
    except InvalidOperation:
        raise BadValue(f"„{value}“ ist keine Zahl.") from None
    if abs(number) >= Decimal(10) ** 9:  # first: quantizing a number of 30 digits overflows the context
        raise BadValue(f"„{value}“ ist zu groß.")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise BadValue(f"„{value}“ hat mehr als {places} Nachkommastellen.")
    return number


def integer(value: str) -> int:
    compact = value.replace(".", "").replace(" ", "")
    if not re.fullmatch(r"-?\d{1,9}", compact):
        raise BadValue(f"„{value}“ ist keine ganze Zahl.")
    return int(compact)


def day(value: str) -> date:
    """TT.MM.JJJJ or JJJJ-MM-TT."""
    value = value.strip()
    if match := _GERMAN_DATE.fullmatch(value):
        day_, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.fullmatch(value):
        year, month, day_ = (int(part) for part in match.groups())
    else:
        raise BadValue(f"„{value}“ ist kein Datum wie 31.12.2024 oder 2024-12-31.")
    try:
        result = date(year, month, day_)
    except ValueError:
        raise BadValue(f"Den {value} gibt es nicht im Kalender.") from None
    if not 1900 <= result.year <= 2200:
        raise BadValue(f"Das Jahr {result.year} ist nicht plausibel.")
    return result


def month(value: str) -> date:
    """MM.JJJJ or JJJJ-MM: the first day of that month."""
    try:
        return clock.parse_month(value)
    except ValueError as error:
        raise BadValue(str(error)) from None


def choice(labels: dict[str, str], aliases: dict[str, str] | None = None):
    """A parser that accepts the German label (any case), the code or one of ``aliases`` (word → code) for a value
    of ``labels`` (code → label)."""
    lookup = {label.casefold(): code for code, label in labels.items()} | {code.casefold(): code for code in labels}
    lookup |= {word.casefold(): code for word, code in (aliases or {}).items()}

    def parse(value: str) -> str:
        found = lookup.get(" ".join(value.split()).casefold())
        if found is None:
            raise BadValue(f"„{value}“ ist nicht erlaubt; möglich: {', '.join(labels.values())}.")
        return found

    return parse
