"""Backups of the embedded setup: the SQLite database and the stored files, copied while the portal runs.

The database is copied with SQLite's online backup API in one step: one read transaction, so the copy is the
state of one moment, with every transaction either whole or absent, while the portal goes on writing (WAL).
The stored files are copied after it: a file is always stored before the row that names it, so every file the
copy names exists by then. The copy is checked (PRAGMA integrity_check, every named file present) before it
gets its final name; a backup folder without wir-backup.json is not one.

Restoring writes the backup into the target database with the same API: one write transaction, so running
servers wait a moment and then see the restored state, never a half-restored one. The files go first.
PostgreSQL has its own tools (pg_dump, pg_restore; README "Betrieb").
"""

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = "wir-backup.json"
DATABASE_FILE = "wir.db"
FILES_FOLDER = "uploads"
BUSY_TIMEOUT_MS = 30_000  # the portal's write transactions are short; a backup step may wait for one
MIGRATION_TABLE = "schema_migration"


class BackupError(Exception):
    """Why a backup or restore cannot be done, in German for the command line."""


@dataclass(frozen=True)
class Summary:
    folder: Path
    created_at: str
    database_bytes: int
    files: int
    tickets: int


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def _is_key(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _named_files(connection: sqlite3.Connection) -> set[str]:
    """The storage keys the database's rows name (every column called storage_key)."""
    keys = set()
    tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        if any(column[1] == "storage_key" for column in connection.execute(f'PRAGMA table_info("{table}")')):
            keys.update(row[0] for row in connection.execute(
                f'SELECT DISTINCT storage_key FROM "{table}" WHERE storage_key IS NOT NULL'))
    return keys


def _stored_in_database(connection: sqlite3.Connection) -> set[str]:
    if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'stored_file'").fetchone():
        return set()
    return {row[0] for row in connection.execute("SELECT key FROM stored_file")}


def _check(database: Path, files: Path) -> int:
    """integrity_check and every named file present (in ``files`` or in the database); the number of tickets."""
    connection = _connect(database)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError(f"Die Datenbank in der Sicherung ist beschädigt: {'; '.join(result[:5])}")
        present = _stored_in_database(connection) | {p.name for p in files.glob("??/*") if _is_key(p.name)}
        missing = _named_files(connection) - present
        if missing:
            raise BackupError(f"In der Sicherung fehlen {len(missing)} gespeicherte Dateien.")
        return connection.execute("SELECT count(*) FROM ticket").fetchone()[0]
    finally:
        connection.close()


def _copy_files(source: Path | None, target: Path) -> int:
    """Copy the stored files not yet in ``target``; returns how many ``target`` holds."""
    target.mkdir(parents=True, exist_ok=True)
    if source is not None and source.exists():
        for path in source.glob("??/*"):
            if not _is_key(path.name):  # a file being written (its temporary name)
                continue
            destination = target / path.parent.name / path.name
            if not destination.exists():
                destination.parent.mkdir(exist_ok=True)
                partial = destination.with_name(destination.name + ".part")
                shutil.copyfile(path, partial)
                os.replace(partial, destination)
    return sum(1 for p in target.glob("??/*") if _is_key(p.name))


def backup(database: Path, files: Path | None, destination: Path) -> Summary:
    """Copy ``database`` and the files under ``files`` (None: they are in the database) to the new folder
    ``destination``, check the copy, and return what it holds."""
    if destination.exists():
        raise BackupError(f"{destination} gibt es schon. Bitte einen neuen Ordner für die Sicherung angeben.")
    if not database.exists():
        raise BackupError(f"Die Datenbank {database} gibt es nicht.")
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # a backup that broke off earlier
    partial.mkdir(parents=True)
    created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    source, copy = _connect(database), _connect(partial / DATABASE_FILE)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one moment
    finally:
        copy.close()
        source.close()
    stored = _copy_files(files, partial / FILES_FOLDER)
    tickets = _check(partial / DATABASE_FILE, partial / FILES_FOLDER)
    summary = Summary(destination, created_at, (partial / DATABASE_FILE).stat().st_size, stored, tickets)
    manifest = {"created_at": created_at, "database_bytes": summary.database_bytes, "files": stored,
                "tickets": tickets}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(partial, destination)  # only a checked, complete backup gets the name
    return summary


def has_data(database: Path) -> bool:
    """Whether ``database`` holds anything beyond its schema."""
    if not database.exists():
        return False
    connection = _connect(database)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return any(connection.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()
                   for table in tables if table != MIGRATION_TABLE)
    finally:
        connection.close()


def restore(source: Path, database: Path, files: Path | None, force: bool = False) -> Summary:
    """Bring the backup folder ``source`` back into ``database`` and the files folder (None: in the database).

    Refuses a database that holds data unless ``force``: everything written since the backup would be lost.
    """
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} ist keine Sicherung des Portals ({MANIFEST} fehlt).") from None
    tickets = _check(source / DATABASE_FILE, source / FILES_FOLDER)
    if not force and has_data(database):
        raise BackupError(
            f"Die Datenbank {database} enthält Daten; alles, was seit der Sicherung vom {manifest['created_at']} "
            "geschrieben wurde, ginge verloren. Mit --force wird sie trotzdem ersetzt (laufende Server warten "
            "kurz und sehen danach die Sicherung)."
        )
    stored = _copy_files(source / FILES_FOLDER, files) if files is not None else 0
    database.parent.mkdir(parents=True, exist_ok=True)
    backup_copy, target = _connect(source / DATABASE_FILE), _connect(database)
    try:
        backup_copy.backup(target)  # one write transaction on the target
        result = [row[0] for row in target.execute("PRAGMA integrity_check")]
    finally:
        target.close()
        backup_copy.close()
    if result != ["ok"]:
        raise BackupError(f"Die zurückgespielte Datenbank ist beschädigt: {'; '.join(result[:5])}")
    return Summary(source, manifest["created_at"], (source / DATABASE_FILE).stat().st_size, stored, tickets)
