"""The audit trail of DESIGN.md §6: who changed what, when and from where.

Callers write only what may be read by staff: never passwords, tokens or full IBANs.
"""

from flask import has_request_context, request

from wir.models import AuditLog, Cooperative, User


def record(user: User | None, action: str, obj=None, detail: str = "", cooperative: Cooperative | None = None) -> None:
    """One entry, written in the caller's transaction so it exists exactly when the change does."""
    AuditLog.create(
        user=user,
        cooperative=cooperative,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.id) if obj is not None else "",
        # one line per entry, whatever the input contained (no forged log lines)
        detail=" ".join(detail.split()),
        # the address belongs to the trail, not to the domain rule: taken here so services stay request-free
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
