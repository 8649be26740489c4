"""Single-use, time-limited proofs sent by mail: a link token and, for the app, a 6-digit code.

Only hashes are stored. A code allows CODE_ATTEMPTS wrong tries, then it is void.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from wir import clock
from wir.models import EmailConfirmation, User

CODE_ATTEMPTS = 5

_code_key = b""


def configure(secret_key: str) -> None:
    """The key for code hashes; create_app() sets it from SECRET_KEY."""
    global _code_key
    _code_key = secret_key.encode()


@dataclass(frozen=True)
class Issued:
    confirmation: EmailConfirmation
    token: str
    code: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _code_hash(user_id: int, code: str) -> str:
    # keyed, so a copy of the database does not give the six digits away
    if not _code_key:
        raise RuntimeError("confirmations.configure() was not called (create_app does it)")
    return hmac.new(_code_key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _open():
    return EmailConfirmation.used_at.is_null() & (EmailConfirmation.expires_at > clock.now())


def issue(user: User, purpose: str, email: str, valid_for: timedelta, with_code: bool = False) -> Issued:
    """A new confirmation; earlier open ones of the same purpose are voided."""
    EmailConfirmation.update(used_at=clock.now()).where(
        (EmailConfirmation.user == user) & (EmailConfirmation.purpose == purpose) & _open()
    ).execute()
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}" if with_code else ""
    confirmation = EmailConfirmation.create(
        user=user,
        purpose=purpose,
        email=email,
        token_hash=_token_hash(token),
        code_hash=_code_hash(user.id, code) if code else "",
        expires_at=clock.now() + valid_for,
    )
    return Issued(confirmation, token, code)


def has_open(user: User, purpose: str) -> bool:
    return EmailConfirmation.select().where(
        (EmailConfirmation.user == user) & (EmailConfirmation.purpose == purpose) & _open()
    ).exists()


def find_by_token(token: str, purpose: str) -> EmailConfirmation | None:
    """The open confirmation behind a link, or None (unknown, used or expired)."""
    return EmailConfirmation.get_or_none(
        (EmailConfirmation.token_hash == _token_hash(token)) & (EmailConfirmation.purpose == purpose) & _open()
    )


def check_code(email: str, code: str, purpose: str) -> EmailConfirmation | None:
    """The open confirmation sent to ``email`` if ``code`` is its code; a wrong code counts as an attempt."""
    confirmation = (
        EmailConfirmation.select()
        .where((EmailConfirmation.email == email) & (EmailConfirmation.purpose == purpose) & _open()
               & (EmailConfirmation.code_hash != ""))
        .order_by(EmailConfirmation.id.desc())
        .first()
    )
    if confirmation is None:
        return None
    if hmac.compare_digest(confirmation.code_hash, _code_hash(confirmation.user_id, code.strip())):
        return confirmation
    confirmation.attempts += 1
    if confirmation.attempts >= CODE_ATTEMPTS:
        confirmation.used_at = clock.now()
    confirmation.save()
    return None


def use(confirmation: EmailConfirmation) -> bool:
    """Mark as used; False if another request used it first (double click, two tabs)."""
    return bool(
        EmailConfirmation.update(used_at=clock.now())
        .where((EmailConfirmation.id == confirmation.id) & EmailConfirmation.used_at.is_null())
        .execute()
    )
