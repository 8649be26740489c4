"""The ERP connector's bearer tokens for /erp/v1 (docs/export.md): one cooperative's export, nothing else.

A token is shown once when it is made; only its SHA-256 is kept, so a stolen database names no usable token.
The audit trail names a token by its id and name, never by its text.
"""

import hashlib
import secrets

from wir import audit, clock, db
from wir.models import Cooperative, ErpToken, User
from wir.services.rejections import Rejected

PREFIX = "wir_"  # so a token found in a config file or a log says what it is
NAME_MAX_LENGTH = 100
# "wir_" and 43 characters of token_urlsafe(32); anything much longer is no token of ours (and not hashed)
MAX_TOKEN_LENGTH = 200


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create(cooperative: Cooperative, name: str, by: User | None) -> tuple[ErpToken, str]:
    """A new token of ``cooperative`` named ``name`` („Connector Wodis“); returns it and its text, which is
    shown once and kept nowhere. ``by`` None: the command line."""
    name = " ".join((name or "").split())
    if not name:
        raise Rejected("name", "Bitte geben Sie dem Token einen Namen, z. B. „Connector Wodis“.")
    if len(name) > NAME_MAX_LENGTH:
        raise Rejected("name", f"Der Name ist zu lang (höchstens {NAME_MAX_LENGTH} Zeichen).")
    plain = PREFIX + secrets.token_urlsafe(32)
    with db.write_transaction():
        token = ErpToken.create(cooperative=cooperative, name=name, token_hash=_hash(plain), created_by=by)
        audit.record(by, "erp_token.created", obj=token, detail=f"„{name}“", cooperative=cooperative)
    return token, plain


def of(cooperative: Cooperative) -> list[ErpToken]:
    """The cooperative's tokens, the ones in use first, newest first."""
    return list(ErpToken.select().where(ErpToken.cooperative == cooperative)
                .order_by(ErpToken.revoked_at.is_null(False), ErpToken.id.desc()))


def revoke(cooperative: Cooperative, token_id: int, by: User | None) -> ErpToken | None:
    """Revoke the cooperative's token ``token_id`` (None: no such token of this cooperative). Revoking a revoked
    token again changes nothing."""
    with db.write_transaction():
        token = ErpToken.get_or_none((ErpToken.id == token_id) & (ErpToken.cooperative == cooperative))
        if token is None or token.revoked_at is not None:
            return token
        token.revoked_at = clock.now()
        token.revoked_by = by
        token.save(only=[ErpToken.revoked_at, ErpToken.revoked_by])
        audit.record(by, "erp_token.revoked", obj=token, detail=f"„{token.name}“", cooperative=cooperative)
    return token


def authenticate(plain: str | None) -> ErpToken | None:
    """The token whose text ``plain`` is, if it is in use; it is marked used now. The lookup is by the text's
    hash (a unique index), so the time it takes tells nothing about how much of a token was right."""
    if not plain or len(plain) > MAX_TOKEN_LENGTH or not plain.startswith(PREFIX):
        return None
    token = ErpToken.get_or_none(ErpToken.token_hash == _hash(plain))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = clock.now()
    with db.write_transaction():  # SQLite: the write lock up front, as every write
        ErpToken.update(last_used_at=token.last_used_at).where(ErpToken.id == token.id).execute()
    return token


def record_use(token: ErpToken, what: str) -> None:
    """The audit entry of one use of ``token`` (``what``: „Exportlauf 5 abgeholt“), written by the API."""
    with db.write_transaction():
        audit.record(None, "erp_token.used", obj=token, detail=f"„{token.name}“: {what}",
                     cooperative=token.cooperative_id)
