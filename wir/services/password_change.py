"""Passwort ändern: the current password, a new one under the rules; every other session ends."""

from wir import audit, db
from wir.models import User
from wir.services import accounts, password_rules, reauthentication
from wir.services.rejections import Rejected


def change_password(user: User, current: str, new: str) -> User:
    """Set the new password; returns the user with the new session version (the caller signs in again).

    accounts.set_password ends every session and mails the notice. Raises Rejected for
    ``current_password`` or ``password``.
    """
    reauthentication.confirm_password(user, current, field="current_password")
    if new == current:
        raise Rejected("password", "Das neue Passwort muss sich vom bisherigen unterscheiden.")
    password_rules.check(new, accounts.password_context_words(user))
    with db.write_transaction():
        fresh = User.get_by_id(user.id)  # not the request's copy: sign-in just updated the row
        accounts.set_password(fresh, new)
        audit.record(fresh, "password.changed")
    return fresh
