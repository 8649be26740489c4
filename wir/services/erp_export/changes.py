"""Records what the ERP must take over, in the caller's transaction: the change and its export row exist together.

The import never records anything: what came from the ERP needs no way back (docs/export.md, round trip).
"""

import json

from wir.models import Cooperative, ErpChange, User
from wir.services.erp_export.kinds import ACTIONS, ACTORS, KINDS


def actor_of(user: User | None) -> str:
    """Who made the change, as the ERP reads it: staff and the command line act for the cooperative."""
    if user is None or user.is_staff:
        return "cooperative"
    return "tenant"


def record(kind: str, action: str, *, cooperative: Cooperative | int, by: User | None, erp_key: str | None,
           label: str, row: dict[str, str], actor: str | None = None) -> ErpChange:
    """One change of ``kind`` (a key of KINDS); ``row`` holds the kind's columns as the file shows them.

    ``erp_key`` is the ERP's key of the person, contract or savings account (None: listed in the report
    by ``label`` instead); ``actor`` overrides who acted (a Vertretung), else it follows from ``by``.
    """
    spec = KINDS[kind]
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    actor = actor or actor_of(by)
    if actor not in ACTORS:
        raise ValueError(f"unknown actor {actor!r}")
    if set(row) != set(spec.columns):
        raise ValueError(f"{kind}: columns {sorted(set(row) ^ set(spec.columns))} wrong")
    return ErpChange.create(cooperative=cooperative, kind=kind, action=action, actor=actor, erp_key=erp_key or None,
                            label=label, data=json.dumps(row, ensure_ascii=False))
