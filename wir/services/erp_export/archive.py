"""The ZIP of an Exportlauf: one CSV file per kind and the report, each written row by row as its rows are read.

The files are what German Excel and the ERP read alike (docs/export.md): UTF-8 with a byte order mark, semicolons,
CRLF line ends, quotes only where a value needs them (a semicolon, a quote or a line break inside it). Values are
written as the change left them, but for the free text a tenant or staff typed (FREE_TEXT): there a leading "=",
"+", "-", "@", tab or carriage return gets an apostrophe before it, so that a spreadsheet opening the file does
not run it as a formula (OWASP, "CSV injection"). Phone numbers ("+49…") and every other column stay as they are.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import BinaryIO

from wir import clock
from wir.services.erp_export.kinds import ACTIONS, ACTORS, KINDS
from wir.services.text import defused

REPORT_HEADER = ("Änderung", "Zeitpunkt", "Datei", "Art", "Von", "Objekt", "Grund")
WITHOUT_KEY_REASON = "ohne ERP-Schlüssel"

# per kind, the columns holding text somebody typed freely (every other column the portal formats itself)
FREE_TEXT = {
    "address_change": frozenset({"Mitteilung"}),
    "bank_account": frozenset({"Kontoinhaber", "Bank"}),
    "exemption_order": frozenset({"Partner"}),
}
def timestamp(at: datetime) -> str:
    """When a change was made, in Leipzig time: 31.12.2026 14:05."""
    return clock.to_local(at).strftime("%d.%m.%Y %H:%M")


def kind_rows(kind: str, changes: Iterable[tuple]) -> Iterator[tuple]:
    """The file's rows of ``changes`` (id, at, action, actor, erp_key, data) of one kind."""
    free = FREE_TEXT.get(kind, frozenset())
    columns = [(column, column in free) for column in KINDS[kind].columns]
    for change_id, at, action, actor, erp_key, data in changes:
        values = json.loads(data)
        yield (str(change_id), timestamp(at), ACTIONS[action], ACTORS[actor], erp_key,
               *(defused(values.get(column, "")) if typed else values.get(column, "") for column, typed in columns))


def report_rows(changes: Iterable[tuple]) -> Iterator[tuple]:
    """The report's rows of ``changes`` (id, at, kind, action, actor, label) that have no ERP key."""
    for change_id, at, kind, action, actor, label in changes:
        yield (str(change_id), timestamp(at), KINDS[kind].file, ACTIONS[action], ACTORS[actor], label,
               WITHOUT_KEY_REASON)


class ArchiveWriter:
    """Writes the CSV files into a ZIP one after the other; each file's rows stream through a small buffer."""

    def __init__(self, target: BinaryIO, created_at: datetime):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        # the files carry the run's time, so the same run always gives the same bytes
        self._date_time = clock.to_local(created_at).timetuple()[:6]

    def write(self, name: str, header: tuple[str, ...], rows: Iterable[tuple]) -> int:
        """One file: the header, then ``rows``; returns how many rows it holds."""
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        count = 0
        with self._zip.open(info, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            writer = csv.writer(text, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        return count

    def close(self) -> None:
        self._zip.close()
