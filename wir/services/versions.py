"""Versions of what staff edit: two clerks may have the same Neuigkeit or the same tenant's account open, and the
one who sends second must not undo the first's change without seeing it.

The convention: such a table has ``version = IntegerField(default=1)``. Every staff form that changes a row
carries the version it was shown with (a hidden field, read with ``parse``), and the change calls ``claim`` first
inside its write transaction. One UPDATE counts the version up only while it still is the seen one: of two clerks
sending at once, the second's UPDATE waits for the first's commit (PostgreSQL's row lock; SQLite's BEGIN IMMEDIATE
lets one writer in at a time) and then finds no such row, so it raises ``Conflict`` and its transaction applies
nothing.
"""

from dataclasses import dataclass

from peewee import JOIN

from wir.models import AuditLog, User

STALE = -1  # no row's version: a form without a readable version is refused as stale


@dataclass
class Conflict(Exception):
    """``what`` (the sentence's subject: "Diese Neuigkeit") changed or was deleted since the form was shown;
    ``change`` is the latest audited change to it, with its user: what happened, who did it and when."""

    what: str
    change: AuditLog | None = None
    gone: bool = False

    def __str__(self):
        return f"{self.what} wurde inzwischen {'gelöscht' if self.gone else 'geändert'}. " \
               "Ihre Eingabe wurde nicht übernommen."


def parse(text: str | None) -> int:
    """The version a form was based on, from its hidden field."""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else STALE


def claim(model, row_id: int, seen: int, what: str, audited, changes: tuple[str, ...]) -> int:
    """Count the row's version up if it still is ``seen``, inside the caller's write transaction; returns the new
    version. Otherwise raises Conflict naming the latest of the audit log's ``changes`` to ``audited`` (the object
    those entries name: the row itself, or e.g. the person whose account it is)."""
    counted = model.update(version=model.version + 1).where((model.id == row_id) & (model.version == seen)).execute()
    if counted == 1:
        return seen + 1
    latest = (AuditLog.select(AuditLog, User).join(User, JOIN.LEFT_OUTER)
              .where((AuditLog.object_type == type(audited).__name__) & (AuditLog.object_id == str(audited.id))
                     & AuditLog.action.in_(changes))
              .order_by(AuditLog.at.desc(), AuditLog.id.desc()).first())
    raise Conflict(what, latest, gone=not model.select().where(model.id == row_id).exists())
