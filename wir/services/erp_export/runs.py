"""The numbered Exportläufe of a cooperative (docs/export.md): every change not yet taken over by the ERP, as a ZIP.

A change is in every run from the first one made after it (``ErpChange.first_run``) until a run holding it is
acknowledged (``acknowledged_run``), and never after. An export runs in three steps:

1. the claim, one short write transaction: the run's row with ``claim = 1`` (a unique index on (cooperative,
   claim) lets exactly one of two exports started at once have it; the other gets ExportBusy), and the one UPDATE
   that gives every change no run holds yet this run as its first;
2. the ZIP, read in one reading transaction that takes no write lock: per kind one SELECT streamed into the
   kind's file (a server-side cursor on PostgreSQL), then one for the report of the changes without an ERP key;
3. the finish, one short write transaction: the ZIP, the counts, the audit entry, the claim released.

Run N holds the changes with ``first_run <= N`` that were not acknowledged when it was read. Acknowledging run N
marks exactly those (and whatever earlier runs held) as taken over: every one of them was in N's files. No run is
acknowledged while another export of the cooperative is being written (ExportBusy): that run would hold changes
taken over meanwhile, and the ERP would get them again. Claim and acknowledgement of one cooperative are one after
the other (_serialize).

A run that breaks off is marked failed and its changes are given back (``first_run`` NULL), so nothing is lost; a
run whose process died keeps its claim until it is STALE_AFTER old, then the next export (or the hourly task)
marks it failed the same way. The files hold full IBANs and Steuer-IDs: purge_expired() removes them, and the
changes they came from, once the run has been acknowledged for the retention's days.
"""

import io
import itertools
import json
import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path

from peewee import IntegrityError, fn

from wir import audit, clock, db
from wir.models import Cooperative, ErpChange, ErpExportRun, JobStatus, User
from wir.services import jobs
from wir.services.erp_export.archive import REPORT_HEADER, ArchiveWriter, kind_rows, report_rows
from wir.services.erp_export.kinds import KINDS, REPORT_FILE, WITHOUT_KEY

log = logging.getLogger(__name__)

# longer than any export takes (20,000 changes: seconds); a claim this old belongs to a process that died
STALE_AFTER = timedelta(minutes=15)

# how a run was made, downloaded or acknowledged: the audit entry and the admin page say it
VIA = {"cli": "Kommandozeile", "admin": "Verwaltung", "api": "ERP-Schnittstelle"}

# rows a PostgreSQL server-side cursor fetches at a time
STREAM_BATCH = 2000


class ExportBusy(Exception):
    """Another export of this cooperative is being written."""


class UnknownRun(LookupError):
    """No finished run of this cooperative has that number."""


# --- making a run --------------------------------------------------------------


def export(cooperative: Cooperative, *, by: User | None, via: str) -> ErpExportRun | None:
    """A new run holding every change of ``cooperative`` not yet acknowledged; None when none waits.

    Raises ExportBusy while another export of the cooperative is being written."""
    _check_via(via)
    run = _claim(cooperative, by, via)
    if run is None:
        return None
    try:
        archive, counts = _build(run)
        with db.write_transaction():
            if not jobs.finish(ErpExportRun, run.id, claim=None, archive=archive, archive_size=len(archive),
                               counts=json.dumps(counts)):
                # given up as stale meanwhile, its changes given back: another export has them now
                raise ExportBusy()
            audit.record(by, "erp_export.created", obj=run, cooperative=cooperative,
                         detail=f"Exportlauf {run.number} ({VIA[via]}): {_summary(counts)}")
    except BaseException:
        _give_up([run.id])
        raise
    return _listed().where(ErpExportRun.id == run.id).get()


def latest(cooperative: Cooperative, *, by: User | None, via: str) -> ErpExportRun | None:
    """What the ERP should take over next: a new run when a change waits that no run holds yet, else the newest
    finished run not yet acknowledged, else None."""
    if _unacknowledged(cooperative).where(ErpChange.first_run.is_null()).exists():
        run = export(cooperative, by=by, via=via)
        if run is not None:
            return run
    return (_listed().where((ErpExportRun.cooperative == cooperative) & (ErpExportRun.status == JobStatus.DONE)
                            & ErpExportRun.acknowledged_at.is_null())
            .order_by(ErpExportRun.number.desc()).first())


def _claim(cooperative: Cooperative, by: User | None, via: str) -> ErpExportRun | None:
    now = clock.now()
    try:
        with db.write_transaction():
            _serialize(cooperative)
            _take_over_stale(now, cooperative)
            if not _unacknowledged(cooperative).exists():
                return None
            number = (ErpExportRun.select(fn.MAX(ErpExportRun.number))
                      .where(ErpExportRun.cooperative == cooperative).scalar() or 0) + 1
            run = ErpExportRun.create(cooperative=cooperative, number=number, status=JobStatus.RUNNING, claim=1,
                                      started_at=now, created_by=by, via=via)
            (ErpChange.update(first_run=run)
             .where((ErpChange.cooperative == cooperative) & ErpChange.first_run.is_null()
                    & ErpChange.acknowledged_run.is_null())
             .execute())
            return run
    except IntegrityError:
        # the other export's claim (or its number) is there: unique (cooperative, claim) / (cooperative, number)
        raise ExportBusy() from None


def _serialize(cooperative: Cooperative) -> None:
    """The first statement of a claim's and an acknowledgement's write transaction: the one waits for the other.
    On PostgreSQL the cooperative's row is locked until the transaction ends (else an acknowledgement that found no
    claim could commit after a claim made meanwhile, whose run would then hold what it acknowledged); SQLite's
    ``BEGIN IMMEDIATE`` already holds the only write lock."""
    if not db.is_sqlite():
        Cooperative.select(Cooperative.id).where(Cooperative.id == cooperative).for_update().execute()


def _being_written(cooperative: Cooperative) -> bool:
    return (ErpExportRun.select().where((ErpExportRun.cooperative == cooperative) & (ErpExportRun.claim == 1)
                                        & (ErpExportRun.status == JobStatus.RUNNING)).exists())


def _build(run: ErpExportRun) -> tuple[bytes, dict[str, int]]:
    """The run's ZIP and its rows per kind: one SELECT per kind and one for the report, streamed."""
    buffer = io.BytesIO()
    writer = ArchiveWriter(buffer, run.started_at)
    counts = {}
    held = ((ErpChange.cooperative == run.cooperative_id) & (ErpChange.first_run <= run.id)
            & ErpChange.acknowledged_run.is_null())
    # one snapshot for every file; reading only, so SQLite's write lock stays free for the portal meanwhile
    try:
        with db.database.atomic():
            for key, spec in KINDS.items():
                query = (ErpChange.select(ErpChange.id, ErpChange.at, ErpChange.action, ErpChange.actor,
                                          ErpChange.erp_key, ErpChange.data)
                         .where(held & (ErpChange.kind == key) & ErpChange.erp_key.is_null(False))
                         .order_by(ErpChange.id))
                with _stream(query) as rows:
                    counts[key] = writer.write(spec.file, spec.header, kind_rows(key, rows))
            query = (ErpChange.select(ErpChange.id, ErpChange.at, ErpChange.kind, ErpChange.action,
                                      ErpChange.actor, ErpChange.label)
                     .where(held & ErpChange.erp_key.is_null())
                     .order_by(ErpChange.id))
            with _stream(query) as rows:
                counts[WITHOUT_KEY] = writer.write(REPORT_FILE, REPORT_HEADER, report_rows(rows))
    finally:
        writer.close()
    return buffer.getvalue(), counts


_cursor_numbers = itertools.count()
_peewee_log = logging.getLogger("peewee")


@contextmanager
def _stream(query) -> Iterator[Iterator[tuple]]:
    """The query's rows as tuples, read as they are written: never all of them in memory. Closed at the end of
    the block, inside the reading transaction."""
    if db.is_sqlite():
        yield query.tuples().iterator()  # sqlite3 steps through the result row by row
        return
    # psycopg2's ordinary cursor fetches the whole result at once; a named one fetches STREAM_BATCH rows at a time.
    # peewee runs its connections in autocommit mode with BEGIN of its own, which psycopg2 does not see: it allows a
    # named cursor there only WITH HOLD (kept past a commit; it is closed before that, at the end of the block).
    sql, params = query.sql()
    _peewee_log.debug((sql, params))  # logged (and counted by the tests) like every statement peewee runs
    cursor = db.database.connection().cursor(name=f"wir_erp_export_{next(_cursor_numbers)}", withhold=True)
    cursor.itersize = STREAM_BATCH
    try:
        cursor.execute(sql, params)
        yield iter(cursor)
    finally:
        # a failed statement aborted the transaction, which drops the cursor: its error is the one to see
        with suppress(Exception):
            cursor.close()


def _give_up(run_ids: list[int], now: datetime | None = None) -> None:
    """The runs broke off: marked failed (claim released), their changes given back to the next export."""
    with db.write_transaction():
        failed = (ErpExportRun.update(status=JobStatus.FAILED, claim=None, finished_at=now or clock.now())
                  .where(ErpExportRun.id.in_(run_ids) & (ErpExportRun.status == JobStatus.RUNNING)).execute())
        ErpChange.update(first_run=None).where(ErpChange.first_run.in_(run_ids)).execute()
    if failed:
        log.warning("Exportlauf abgebrochen (erp_export_run %s); die Änderungen bleiben für den nächsten", run_ids)


def _take_over_stale(now: datetime, cooperative: Cooperative | None = None) -> int:
    """Runs claimed longer than STALE_AFTER ago whose process died: failed, their changes given back."""
    condition = ((ErpExportRun.status == JobStatus.RUNNING) & (ErpExportRun.claim == 1)
                 & (ErpExportRun.started_at < now - STALE_AFTER))
    if cooperative is not None:
        condition &= ErpExportRun.cooperative == cooperative
    stale = [run_id for (run_id,) in ErpExportRun.select(ErpExportRun.id).where(condition).tuples()]
    if stale:
        _give_up(stale, now)  # nested in the caller's transaction, if any
    return len(stale)


def give_up_stale(now: datetime | None = None) -> int:
    """Every cooperative's runs whose process died: the admin page says so instead of "wird erstellt"."""
    return _take_over_stale(now or clock.now())


# --- taking a run over -----------------------------------------------------------


def acknowledge(cooperative: Cooperative, number: int, *, by: User | None, via: str) -> ErpExportRun:
    """Run ``number`` has been taken over by the ERP: its changes never come again; earlier runs, and later ones
    left without a change still waiting, count as taken over too. Acknowledging a run twice changes nothing.
    UnknownRun: no finished run has that number. ExportBusy: another export of the cooperative is being written
    (its run could hold what this marks as taken over); once it is finished, this works."""
    _check_via(via)
    with db.write_transaction():
        _serialize(cooperative)
        _take_over_stale(clock.now(), cooperative)  # a claim whose process died blocks no acknowledgement
        run = _listed().where((ErpExportRun.cooperative == cooperative) & (ErpExportRun.number == number)
                              & (ErpExportRun.status == JobStatus.DONE)).first()
        if run is None:
            raise UnknownRun(number)
        if run.acknowledged_at is None:
            if _being_written(cooperative):
                raise ExportBusy()
            (ErpChange.update(acknowledged_run=run)
             .where((ErpChange.cooperative == cooperative) & (ErpChange.first_run <= run.id)
                    & ErpChange.acknowledged_run.is_null())
             .execute())
            # every run that holds no change still waiting now counts as taken over: the earlier ones, and a later
            # one made before this acknowledgement with nothing new in it (else the ERP would get it next)
            oldest_waiting = (ErpChange.select(fn.MIN(ErpChange.first_run))
                              .where((ErpChange.cooperative == cooperative) & ErpChange.acknowledged_run.is_null())
                              .scalar())
            covered = ((ErpExportRun.cooperative == cooperative) & (ErpExportRun.status == JobStatus.DONE)
                       & ErpExportRun.acknowledged_at.is_null())
            if oldest_waiting is not None:
                covered &= ErpExportRun.id < oldest_waiting
            runs_marked = (ErpExportRun.update(acknowledged_at=clock.now(), acknowledged_by=by, acknowledged_via=via)
                           .where(covered).execute())
            earlier = f", mit ihm {runs_marked - 1} weitere ohne offene Änderungen" if runs_marked > 1 else ""
            audit.record(by, "erp_export.acknowledged", obj=run, cooperative=cooperative,
                         detail=f"Exportlauf {number} vom ERP übernommen ({VIA[via]}){earlier}")
    return _listed().where(ErpExportRun.id == run.id).get()


def record_download(run: ErpExportRun, *, by: User | None, via: str) -> None:
    """Every download of a run's files is in the audit log (they hold full IBANs and Steuer-IDs)."""
    _check_via(via)
    with db.write_transaction():
        audit.record(by, "erp_export.downloaded", obj=run, cooperative=run.cooperative,
                     detail=f"{archive_name(run)} ({VIA[via]})")


# --- reading runs ----------------------------------------------------------------


def _listed():
    """Runs without their archive (megabytes each): archive_of() reads it when it is needed."""
    return ErpExportRun.select(*[field for field in ErpExportRun._meta.sorted_fields
                                 if field is not ErpExportRun.archive])


def run_of(cooperative: Cooperative, number: int) -> ErpExportRun | None:
    """The finished or failed run ``number`` of ``cooperative``, without its archive."""
    return _listed().where((ErpExportRun.cooperative == cooperative) & (ErpExportRun.number == number)
                           & ErpExportRun.status.in_([JobStatus.DONE, JobStatus.FAILED])).first()


def runs(cooperative: Cooperative):
    """The cooperative's runs, newest first, without their archives (a query: paginate it)."""
    return _listed().where(ErpExportRun.cooperative == cooperative).order_by(ErpExportRun.number.desc())


def archive_of(run: ErpExportRun) -> bytes | None:
    """The run's ZIP; None once removed after the retention (or for a failed run)."""
    archive = ErpExportRun.select(ErpExportRun.archive).where(ErpExportRun.id == run.id).scalar()
    return bytes(archive) if archive is not None else None


def archive_name(run: ErpExportRun) -> str:
    return f"wir-export-{run.cooperative.slug}-{run.number:04d}.zip"


def counts_of(run: ErpExportRun) -> dict[str, int]:
    """Rows per kind (every kind, zeros included) and the changes without an ERP key (WITHOUT_KEY)."""
    stored = json.loads(run.counts or "{}")
    return {key: stored.get(key, 0) for key in (*KINDS, WITHOUT_KEY)}


def write_to(run: ErpExportRun, folder: Path) -> Path:
    """Unpack the run's files into ``folder``/<archive name without .zip>/; returns that folder."""
    archive = archive_of(run)
    if archive is None:
        raise UnknownRun(run.number)
    target = Path(folder) / archive_name(run).removesuffix(".zip")
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(archive)) as files:
        files.extractall(target)  # the names are the run's own: plain file names
    return target


# --- what waits --------------------------------------------------------------------


def _unacknowledged(cooperative: Cooperative):
    return ErpChange.select().where((ErpChange.cooperative == cooperative) & ErpChange.acknowledged_run.is_null())


def waiting(cooperative: Cooperative) -> dict[str, int]:
    """Changes not yet acknowledged, per kind (every kind, zeros included)."""
    counted = dict(ErpChange.select(ErpChange.kind, fn.COUNT(ErpChange.id))
                   .where((ErpChange.cooperative == cooperative) & ErpChange.acknowledged_run.is_null())
                   .group_by(ErpChange.kind).tuples())
    return {key: counted.get(key, 0) for key in KINDS}


def waiting_changes(cooperative: Cooperative):
    """The changes not yet acknowledged, newest first (a query: paginate it); never their data (IBANs, Steuer-IDs)."""
    return (ErpChange.select(ErpChange.id, ErpChange.at, ErpChange.kind, ErpChange.action, ErpChange.actor,
                             ErpChange.label, ErpChange.erp_key, ErpChange.first_run)
            .where((ErpChange.cooperative == cooperative) & ErpChange.acknowledged_run.is_null())
            .order_by(ErpChange.at.desc(), ErpChange.id.desc()))


# --- retention -----------------------------------------------------------------------


def purge_expired(days: int, now: datetime | None = None) -> int:
    """Remove the files of runs acknowledged more than ``days`` ago, and the changes they held (full IBANs and
    Steuer-IDs); returns how many runs' files were removed."""
    now = now or clock.now()
    cutoff = now - timedelta(days=days)
    expired = ErpExportRun.acknowledged_at < cutoff
    with db.write_transaction():
        changes = (ErpChange.delete()
                   .where(ErpChange.acknowledged_run.in_(ErpExportRun.select(ErpExportRun.id).where(expired)))
                   .execute())
        removed = (ErpExportRun.update(archive=None, archive_removed_at=now)
                   .where(expired & ErpExportRun.archive.is_null(False)).execute())
    if removed or changes:
        log.info("Export: Dateien von %s Exportläufen und %s übernommene Änderungen entfernt", removed, changes)
    return removed


# --- helpers ---------------------------------------------------------------------------


def _check_via(via: str) -> None:
    if via not in VIA:
        raise ValueError(f"unknown via {via!r}")


def _summary(counts: dict[str, int]) -> str:
    parts = [f"{counts[key]} {spec.title}" for key, spec in KINDS.items() if counts.get(key)]
    if counts.get(WITHOUT_KEY):
        parts.append(f"{counts[WITHOUT_KEY]} ohne ERP-Schlüssel")
    return ", ".join(parts) or "keine Zeilen"
