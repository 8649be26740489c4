"""Files outside the database: stored under instance/uploads/ by content hash, never served statically."""

import hashlib
import os
import tempfile
from pathlib import Path

_root: Path | None = None


def configure(root: Path) -> None:
    """Where files live; create_app() sets it once, so the CLI and the demo loader need no request or app context."""
    global _root
    _root = Path(root)


def _path(key: str) -> Path:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("not a storage key")
    if _root is None:
        raise RuntimeError("storage.configure() was not called (create_app does it)")
    return _root / key[:2] / key


def store(content: bytes) -> str:
    """Keep the bytes; returns their key (sha256). Storing the same content twice keeps one file."""
    key = hashlib.sha256(content).hexdigest()
    target = _path(key)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # write beside the target and rename, so a reader never sees half a file
        fd, temporary = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(temporary, target)
    return key


def load(key: str) -> bytes:
    return _path(key).read_bytes()
