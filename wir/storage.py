"""Files (attachments, documents) by content hash, never served statically.

Where they live is set by STORAGE (wir.config): "folder" keeps them under STORAGE_PATH (default
instance/uploads/, the embedded default; several app servers need it on a shared mount), "database"
in the stored_file table, which every app server on that database reaches and a database backup holds.
"""

import hashlib
import os
import tempfile
from pathlib import Path

from wir import db
from wir.models import StoredFile

KINDS = ("folder", "database")

_kind: str | None = None
_root: Path | None = None


def configure(kind: str, root: Path) -> None:
    """Where files live; create_app() sets it once, so the CLI and the demo loader need no request or app context."""
    global _kind, _root
    if kind not in KINDS:
        raise ValueError(f"STORAGE must be one of {', '.join(KINDS)}, not {kind!r}")
    _kind, _root = kind, Path(root)


def folder() -> Path | None:
    """The folder the files are kept in; None when they are in the database."""
    _configured()
    return _root if _kind == "folder" else None


def _configured() -> None:
    if _kind is None:
        raise RuntimeError("storage.configure() was not called (create_app does it)")


def _checked(key: str) -> str:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("not a storage key")
    _configured()
    return key


def _path(key: str) -> Path:
    return _root / key[:2] / key


def store(content: bytes) -> str:
    """Keep the bytes; returns their key (sha256). Storing the same content twice keeps one copy."""
    return store_all([content])[0]


def store_all(contents: list[bytes]) -> list[str]:
    """Keep several files (a Meldung's photos); returns their keys in order. In the database one lookup and one
    short transaction for all of them (a savepoint inside the caller's), not one of each per file; an INSERT per
    new file still, so that a statement holds at most one file (up to 10 MB) and no copy of them all."""
    keys = [_checked(hashlib.sha256(content).hexdigest()) for content in contents]
    if _kind == "database":
        by_key = dict(zip(keys, contents))  # the same file twice is stored once
        if by_key:
            kept = StoredFile.select(StoredFile.key).where(StoredFile.key.in_(list(by_key))).tuples()
            missing = by_key.keys() - {key for (key,) in kept}
            if missing:
                # a twin stored meanwhile is the same bytes
                with db.write_transaction():
                    for key, content in by_key.items():
                        if key in missing:
                            StoredFile.insert(key=key, content=content).on_conflict_ignore().execute()
        return keys
    for key, content in zip(keys, contents):
        _write(key, content)
    return keys


def _write(key: str, content: bytes) -> None:
    target = _path(key)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # write beside the target and rename, so a reader never sees half a file
        fd, temporary = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(temporary, target)


def load(key: str) -> bytes:
    """The stored bytes; FileNotFoundError when nothing is stored under ``key``."""
    key = _checked(key)
    if _kind == "database":
        row = StoredFile.select(StoredFile.content).where(StoredFile.key == key).first()
        if row is None:
            raise FileNotFoundError(f"stored file {key}")
        return bytes(row.content)
    return _path(key).read_bytes()
