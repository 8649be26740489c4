"""The audit trail of DESIGN.md §6: who changed what, when and from where.

Callers write only what may be read by staff: never passwords, tokens or full IBANs.
"""

from contextvars import ContextVar

from wir.models import AuditLog, Cooperative, User

# the client's address while a request runs, set by the app (wir.security); empty for the CLI and tasks
client_address: ContextVar[str] = ContextVar("audit_client_address", default="")


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
        ip=client_address.get(),
    )
