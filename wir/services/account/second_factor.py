"""Staff's second factor: a TOTP code (RFC 6238) from an authenticator app, recovery codes, the admin's reset.

Staff enrol at their first sign-in without a second factor: the secret is kept from the start of the
enrolment and in force once one valid code confirmed it. A code is accepted once: the time step of the
last accepted code is stored, and only a later step passes (replays in the same window are refused).
Wrong codes count on the sign-in address like wrong passwords (services.accounts): the same waits, the
same lock. Recovery codes are random, shown once and stored as SHA-256 digests; each signs in once.
"""

import hashlib
import hmac
import secrets

import pyotp
import segno

from wir import audit, clock, db
from wir.models import RecoveryCode, User
from wir.services.account import accounts
from wir.services.rejections import Rejected

ISSUER = "WIR-immerda"
STEP_SECONDS = 30  # pyotp's and every common app's time step
TOLERANCE_STEPS = 1  # one step before and after: clocks of phones drift
RECOVERY_CODE_COUNT = 10
# 16 characters from 31 that cannot be mistaken for each other (no i, l, o, 0, 1): about 79 bits
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 16

FIELD = "code"
WRONG_CODE = "Der Code ist nicht richtig. Bitte geben Sie den aktuellen Code aus Ihrer Authenticator-App ein."
USED_CODE = "Dieser Code wurde schon verwendet. Bitte warten Sie auf den nächsten Code Ihrer Authenticator-App."
WRONG_RECOVERY_CODE = "Der Wiederherstellungscode ist nicht richtig oder wurde schon verwendet."


def is_enrolled(user: User) -> bool:
    return user.totp_confirmed_at is not None


def enrolment_secret(user: User) -> str:
    """The secret a not yet enrolled user is setting up: made once, the same on every visit until confirmed."""
    with db.write_transaction():
        (User.update(totp_secret=pyotp.random_base32())
         .where((User.id == user.id) & User.totp_secret.is_null()).execute())
        return User.get_by_id(user.id).totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address the QR code carries: account (the e-mail address), issuer, secret."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data: URI (the CSP allows images from data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Put the secret in force with one valid code and complete the sign-in; returns the new recovery codes.

    Raises accounts.LoginRefused while the address is locked (or when this wrong code locks it),
    Rejected('code') for a wrong code.
    """
    accounts.ensure_not_locked(user)
    with db.write_transaction():
        fresh = User.get_by_id(user.id)
        if is_enrolled(fresh) or not fresh.totp_secret:
            raise Rejected(FIELD, WRONG_CODE)  # a reset or a second enrolment meanwhile: start anew
        if _accept_totp(fresh, code):
            User.update(totp_confirmed_at=clock.now()).where(User.id == user.id).execute()
            codes = _new_recovery_codes(fresh)
            audit.record(user, "second_factor.enrolled")
            accounts.complete_sign_in(user, "zweiter Faktor eingerichtet")
            return codes
    raise _wrong(user, WRONG_CODE)


def verify_code(user: User, code: str) -> None:
    """The second step of a sign-in with a code from the app.

    Raises accounts.LoginRefused while the address is locked (or when this wrong code locks it),
    Rejected('code') for a wrong or already used code.
    """
    accounts.ensure_not_locked(user)
    digits = "".join(code.split())
    with db.write_transaction():
        if _accept_totp(User.get_by_id(user.id), digits):
            accounts.complete_sign_in(user, "Authenticator-App")
            return
    replayed = _matching_step(user.totp_secret, digits) is not None
    raise _wrong(user, USED_CODE if replayed else WRONG_CODE)


def verify_recovery_code(user: User, code: str) -> None:
    """The second step of a sign-in with a recovery code, which is used up by it. Raises as verify_code."""
    accounts.ensure_not_locked(user)
    normalized = "".join(code.split()).replace("-", "").lower()
    with db.write_transaction():
        used = (RecoveryCode.update(used_at=clock.now())
                .where((RecoveryCode.user == user) & (RecoveryCode.code_hash == _recovery_hash(user, normalized))
                       & RecoveryCode.used_at.is_null())
                .execute())
        if used:
            accounts.complete_sign_in(user, f"Wiederherstellungscode, {unused_recovery_codes(user)} übrig")
            return
    raise _wrong(user, WRONG_RECOVERY_CODE)


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.select().where((RecoveryCode.user == user) & RecoveryCode.used_at.is_null()).count()


def reset(user: User, by: User | None) -> None:
    """Remove the user's second factor (lost phone): every session ends, the next sign-in enrols anew.

    ``by`` is the admin who did it (None: the operator on the command line).
    """
    with db.write_transaction():
        User.update(totp_secret=None, totp_confirmed_at=None, totp_last_step=None,
                    session_version=User.session_version + 1).where(User.id == user.id).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        audit.record(by, "second_factor.reset", obj=user, cooperative=user.cooperative,
                     detail="" if by else "über die Kommandozeile")


def _matching_step(secret: str | None, code: str) -> int | None:
    """The time step (within the tolerance) whose code is ``code``, or None."""
    if not secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = clock.timestamp() // STEP_SECONDS
    for step in range(current - TOLERANCE_STEPS, current + TOLERANCE_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, code: str) -> bool:
    """Accept a code of a step later than the last accepted one; the conditional update lets one of two
    concurrent requests with the same code win."""
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    return bool(
        User.update(totp_last_step=step)
        .where((User.id == user.id) & (User.totp_last_step.is_null() | (User.totp_last_step < step)))
        .execute()
    )


def _wrong(user: User, message: str) -> Exception:
    refused = accounts.count_wrong_code(user)
    return refused if refused.reason == "locked" else Rejected(FIELD, message)


def _recovery_hash(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.id}:{code}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Ten new codes replace any earlier ones; returned formatted (xxxx-xxxx-xxxx-xxxx) to be shown once."""
    RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.insert_many([{"user": user.id, "code_hash": _recovery_hash(user, code)} for code in codes]).execute()
    return ["-".join(code[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]
