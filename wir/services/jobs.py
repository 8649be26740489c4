"""The lifecycle of a background job's row (a batch of Registrierungsbriefe, an ERP import): created queued, claimed
once by the worker that runs it, finished or failed — and given up when no worker finished it in time, so its page
says so instead of showing progress forever.

Each step is one short transaction on the row and applies only from the state it expects: of two workers one
claims the job, a job given up meanwhile is not finished, a finished job keeps its outcome.
"""

from datetime import datetime, timedelta

from peewee import Field, Model

from wir import clock, db
from wir.models import JobStatus

STALE_AFTER = timedelta(hours=1)  # far longer than the largest job takes (1,000 letters, 100,000 Umsätze)


def claim(model: type[Model], job_id: int) -> bool:
    """The worker takes the queued job; False: another one has it, or it is no longer queued."""
    with db.write_transaction():
        return bool(model.update(status=JobStatus.RUNNING)
                    .where((model.id == job_id) & (model.status == JobStatus.QUEUED)).execute())


def finish(model: type[Model], job_id: int, succeeded: bool = True, committed: bool = False, **outcome) -> bool:
    """The running job's outcome, in the caller's transaction, so that the job's own changes commit with it; False:
    it was given up meanwhile, and the caller must not keep its changes. A job whose changes were ``committed``
    before records its outcome even when given up meanwhile: its page must say what happened."""
    applies_to = (JobStatus.RUNNING, JobStatus.FAILED) if committed else (JobStatus.RUNNING,)
    status = JobStatus.DONE if succeeded else JobStatus.FAILED
    return bool(model.update(status=status, finished_at=clock.now(), **outcome)
                .where((model.id == job_id) & model.status.in_(applies_to)).execute())


def fail(model: type[Model], job_id: int, **outcome) -> bool:
    """The job did not run or broke off (``outcome`` says why); one that finished meanwhile keeps its outcome."""
    with db.write_transaction():
        return bool(model.update(status=JobStatus.FAILED, finished_at=clock.now(), **outcome)
                    .where((model.id == job_id) & model.status.in_(JobStatus.open())).execute())


def stale(model: type[Model], started: Field, now: datetime) -> list[int]:
    """The jobs no worker finished within STALE_AFTER of ``started`` (a crashed worker, none running)."""
    return [job.id for job in model.select(model.id)
            .where(model.status.in_(JobStatus.open()) & (started < now - STALE_AFTER))]
