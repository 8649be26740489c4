"""ERP import (docs/import.md): CSV exports of the cooperative's housing ERP into the portal, all or nothing.

Every run is recorded as an ErpImport (who, when, files with SHA-256, the report), dry runs and failed runs too.
"""

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from peewee import JOIN

from wir import db, storage
from wir.models import Cooperative, ErpImport, JobStatus, User
from wir.services import jobs
from wir.services.erp_import.importer import run
from wir.services.erp_import.kinds import BY_FILE, KINDS
from wir.services.erp_import.report import Report

__all__ = ["BY_FILE", "KINDS", "Report", "start", "execute", "import_files", "upload", "run_stored", "fail",
           "give_up_stale", "progress_of", "report_of", "files_of", "recent", "run_of"]

def start(cooperative: Cooperative, user: User | None, *, dry_run: bool, full: bool, bytes_total: int = 0,
          files: list[dict] | None = None) -> ErpImport:
    """Record a run before it starts (the upload page shows it waiting)."""
    with db.write_transaction():
        return ErpImport.create(cooperative=cooperative, user=user, dry_run=dry_run, full=full,
                                status=JobStatus.QUEUED, bytes_total=bytes_total, files=json.dumps(files or []))


def execute(record: ErpImport, paths: list[Path], progress: Callable[[int], None] | None = None) -> Report | None:
    """Run the recorded import on the files; the record keeps the report, the files' SHA-256 and the outcome.
    None: another worker claimed it, or it was given up before it started."""
    if not jobs.claim(ErpImport, record.id):
        return None
    try:
        report, infos = run(paths, record.cooperative, dry_run=record.dry_run, full=record.full, user=record.user,
                            progress=progress)
    except Exception:
        jobs.fail(ErpImport, record.id, report="")
        raise
    files = [{"name": info.name, "size": info.size, "sha256": info.sha256} for info in infos]
    with db.write_transaction():
        # run() committed its own transaction (or rolled it back): the record says what happened
        jobs.finish(ErpImport, record.id, report.ok, committed=True, files=json.dumps(files),
                    report=json.dumps(report.to_dict(), ensure_ascii=False, default=str),
                    bytes_done=sum(info.size for info in infos))
    return report


def import_files(paths: list[Path], cooperative: Cooperative, user: User | None = None, *, dry_run: bool = False,
                 full: bool = False) -> tuple[ErpImport, Report]:
    """Record and run an import at once (command line, tests)."""
    record = start(cooperative, user, dry_run=dry_run, full=full,
                   bytes_total=sum(path.stat().st_size for path in paths if path.is_file()))
    report = execute(record, paths)
    return ErpImport.get_by_id(record.id), report


def upload(cooperative: Cooperative, user: User, files: list[tuple[str, bytes]], *, dry_run: bool,
           full: bool) -> ErpImport:
    """Keep uploaded files (by their SHA-256, wir.storage: every app server and the worker reach them) and record
    the run that will import them (run_stored, in the background)."""
    kept = [{"name": _base_name(name), "size": len(content), "sha256": storage.store(content)}
            for name, content in files]
    return start(cooperative, user, dry_run=dry_run, full=full, bytes_total=sum(f["size"] for f in kept), files=kept)


def _base_name(name: str) -> str:
    """The file's own name without any folder a browser or archive put before it; what the report calls it."""
    base = "".join(c for c in name.replace("\\", "/").rsplit("/", 1)[-1] if c.isprintable()).strip()[:200]
    return base if base.strip(".") else "ohne Namen"


def run_stored(erp_import_id: int, work: Path) -> Report | None:
    """Import the stored files of a recorded run (the background task). ``work`` is a folder of the instance for
    the files while they are read, and for the progress the page shows."""
    record = ErpImport.get_or_none(ErpImport.id == erp_import_id)
    if record is None or record.status != JobStatus.QUEUED:
        return None
    folder = work / str(record.id)
    shutil.rmtree(folder, ignore_errors=True)
    paths = []
    for number, entry in enumerate(files_of(record)):
        # each file in a folder of its own: two files of the same name stay two (the report names both)
        path = folder / str(number) / entry["name"]
        path.parent.mkdir(parents=True)
        path.write_bytes(storage.load(entry["sha256"]))
        paths.append(path)
    progress_file = _progress_file(work, record)
    try:
        return execute(record, paths, progress=lambda done: progress_file.write_text(str(done)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        progress_file.unlink(missing_ok=True)


def _progress_file(work: Path, record: ErpImport) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    return work / f"{record.id}.progress"


def progress_of(record: ErpImport, work: Path) -> int:
    """Bytes read so far of a running import (the worker writes them beside its files; the database cannot be
    written while the import's own transaction holds it)."""
    if record.status != JobStatus.RUNNING:
        return record.bytes_done
    try:
        return min(int(_progress_file(work, record).read_text() or 0), record.bytes_total)
    except (OSError, ValueError):
        return 0


def fail(erp_import_id: int, message: str) -> None:
    """The run could not start or finish (the queue out of reach, its worker gone): it says why; nothing was
    imported (the import's transaction ends with its process). A run that finished meanwhile keeps its outcome."""
    record = ErpImport.get_by_id(erp_import_id)
    report = Report(dry_run=record.dry_run, full=record.full)
    report.error("", None, "", message)
    jobs.fail(ErpImport, erp_import_id, report=json.dumps(report.to_dict(), ensure_ascii=False))


def give_up_stale(now) -> list[int]:
    """Fail the runs no worker finished in time (services.jobs), so their page says so instead of "läuft"
    forever; returns their ids."""
    stale = jobs.stale(ErpImport, ErpImport.started_at, now)
    for erp_import_id in stale:
        fail(erp_import_id, "Die Hintergrundverarbeitung hat den Import nicht rechtzeitig erledigt. Es wurde "
                            "nichts importiert; bitte starten Sie ihn erneut.")
    return stale


def run_of(erp_import_id: int) -> ErpImport | None:
    return recent().where(ErpImport.id == erp_import_id).first()


def report_of(record: ErpImport) -> Report | None:
    return Report.from_dict(json.loads(record.report)) if record.report else None


def files_of(record: ErpImport) -> list[dict]:
    return json.loads(record.files or "[]")


def recent(cooperative: Cooperative | None = None):
    """The runs newest first, as a query to paginate; ``cooperative`` None: both (admins)."""
    query = (ErpImport.select(ErpImport, Cooperative, User).join(Cooperative).switch(ErpImport)
             .join(User, JOIN.LEFT_OUTER))
    if cooperative is not None:
        query = query.where(ErpImport.cooperative == cooperative)
    return query.order_by(ErpImport.started_at.desc(), ErpImport.id.desc())
