"""ERP import (docs/import.md): CSV exports of the cooperative's housing ERP into the portal, all or nothing.

Every run is recorded as an ErpImport (who, when, files with SHA-256, the report), dry runs and failed runs too.
"""

import json
from collections.abc import Callable
from pathlib import Path

from wir import clock, db
from wir.models import Cooperative, ErpImport, User
from wir.services.erp_import.importer import run
from wir.services.erp_import.kinds import BY_FILE, KINDS
from wir.services.erp_import.report import Report

__all__ = ["BY_FILE", "KINDS", "Report", "start", "execute", "import_files", "report_of", "files_of", "recent"]


def start(cooperative: Cooperative, user: User | None, *, dry_run: bool, full: bool,
          bytes_total: int = 0) -> ErpImport:
    """Record a run before it starts (the upload page shows it waiting)."""
    with db.write_transaction():
        return ErpImport.create(cooperative=cooperative, user=user, dry_run=dry_run, full=full,
                                status="queued", bytes_total=bytes_total)


def execute(record: ErpImport, paths: list[Path], progress: Callable[[int], None] | None = None) -> Report:
    """Run the recorded import on the files; the record keeps the report, the files' SHA-256 and the outcome."""
    with db.write_transaction():
        ErpImport.update(status="running").where(ErpImport.id == record.id).execute()
    try:
        report, infos = run(paths, record.cooperative, dry_run=record.dry_run, full=record.full, user=record.user,
                            progress=progress)
    except Exception:
        with db.write_transaction():
            ErpImport.update(status="failed", finished_at=clock.now(), report="").where(
                ErpImport.id == record.id).execute()
        raise
    files = [{"name": info.name, "size": info.size, "sha256": info.sha256} for info in infos]
    with db.write_transaction():
        ErpImport.update(
            status="done" if report.ok else "failed", finished_at=clock.now(), files=json.dumps(files),
            report=json.dumps(report.to_dict(), ensure_ascii=False, default=str),
            bytes_done=sum(info.size for info in infos),
        ).where(ErpImport.id == record.id).execute()
    return report


def import_files(paths: list[Path], cooperative: Cooperative, user: User | None = None, *, dry_run: bool = False,
                 full: bool = False) -> tuple[ErpImport, Report]:
    """Record and run an import at once (command line, tests)."""
    record = start(cooperative, user, dry_run=dry_run, full=full,
                   bytes_total=sum(path.stat().st_size for path in paths if path.is_file()))
    report = execute(record, paths)
    return ErpImport.get_by_id(record.id), report


def report_of(record: ErpImport) -> Report | None:
    return Report.from_dict(json.loads(record.report)) if record.report else None


def files_of(record: ErpImport) -> list[dict]:
    return json.loads(record.files or "[]")


def recent(cooperative: Cooperative | None = None):
    """The runs newest first, as a query to paginate; ``cooperative`` None: both (admins)."""
    query = ErpImport.select(ErpImport, Cooperative, User).join(Cooperative).switch(ErpImport).join(
        User, on=(ErpImport.user == User.id), join_type="LEFT OUTER")
    if cooperative is not None:
        query = query.where(ErpImport.cooperative == cooperative)
    return query.order_by(ErpImport.started_at.desc(), ErpImport.id.desc())
