"""Re-authentication before changing the e-mail address, the bank account or the password (DESIGN.md §6)."""

from wir.formatting import german_datetime
from wir.models import User
from wir.services import accounts
from wir.services.rejections import Rejected

WRONG_PASSWORD = "Das Passwort ist nicht richtig."


def confirm_password(user: User, password: str, field: str = "password") -> None:
    """Raise Rejected(field) unless ``password`` is the user's.

    It goes through sign-in's own check, so wrong passwords count towards the same
    lock: an unattended session cannot be used to guess the password.
    """
    try:
        accounts.authenticate(user.email, password or "")
    except accounts.LoginRefused as refused:
        if refused.reason == "locked":
            if refused.locked_now:
                # someone guessing in an unattended session is signed out with the lock
                accounts.end_all_sessions(user)
            until = f"bis {german_datetime(refused.until)}" if refused.until else "bis zum Zurücksetzen des Passworts"
            raise Rejected(
                field, f"Zu viele falsche Passwörter. Aus Sicherheitsgründen ist Ihr Zugang {until} gesperrt."
            ) from None
        raise Rejected(field, WRONG_PASSWORD) from None
